"""SAP ECC through RFC-enabled function modules exposed as SOAP web services (``kind = "sap-ecc"``)."""
