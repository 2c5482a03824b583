"""The function modules Tieout calls, as SOAMANAGER publishes them: their parameters and WSDL.

SAP generates a document/literal WSDL per service binding in the namespace
``urn:sap-com:document:sap:rfc:functions``: one request element named after the module,
one ``<module>Response`` element, table parameters as sequences of ``item``. The client
never relies on this module (zeep reads whatever WSDL the site's binding serves); the
simulator renders it, and docs/sap-ecc.md lists the same modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

NS = "urn:sap-com:document:sap:rfc:functions"

#: Structures by name: (field, xsd type) pairs. Lengths are SAP's; the WSDL states only types.
STRUCTURES: dict[str, tuple[tuple[str, str], ...]] = {
    "RFC_DB_OPT": (("TEXT", "string"),),
    "RFC_DB_FLD": (
        ("FIELDNAME", "string"),
        ("OFFSET", "string"),
        ("LENGTH", "string"),
        ("TYPE", "string"),
        ("FIELDTEXT", "string"),
    ),
    "TAB512": (("WA", "string"),),
    "BAPIRET2": tuple(
        (f, "string")
        for f in (
            "TYPE",
            "ID",
            "NUMBER",
            "MESSAGE",
            "LOG_NO",
            "LOG_MSG_NO",
            "MESSAGE_V1",
            "MESSAGE_V2",
            "MESSAGE_V3",
            "MESSAGE_V4",
            "PARAMETER",
            "ROW",
            "FIELD",
            "SYSTEM",
        )
    ),
    "BAPIMEPOHEADER": tuple(
        (f, "string")
        for f in (
            "PO_NUMBER",
            "COMP_CODE",
            "DOC_TYPE",
            "VENDOR",
            "PURCH_ORG",
            "PUR_GROUP",
            "CURRENCY",
            "OUR_REF",
        )
    ),
    "BAPIMEPOHEADERX": tuple(
        (f, "string")
        for f in (
            "PO_NUMBER",
            "COMP_CODE",
            "DOC_TYPE",
            "VENDOR",
            "PURCH_ORG",
            "PUR_GROUP",
            "CURRENCY",
            "OUR_REF",
        )
    ),
    "BAPIMEPOITEM": (
        ("PO_ITEM", "string"),
        ("SHORT_TEXT", "string"),
        ("QUANTITY", "decimal"),
        ("PO_UNIT", "string"),
        ("NET_PRICE", "decimal"),
        ("PRICE_UNIT", "decimal"),
        ("ACCTASSCAT", "string"),
        ("DISTRIB", "string"),
        ("PLANT", "string"),
        ("MATL_GROUP", "string"),
    ),
    "BAPIMEPOITEMX": tuple(
        (f, "string")
        for f in (
            "PO_ITEM",
            "PO_ITEMX",
            "SHORT_TEXT",
            "QUANTITY",
            "PO_UNIT",
            "NET_PRICE",
            "PRICE_UNIT",
            "ACCTASSCAT",
            "DISTRIB",
            "PLANT",
            "MATL_GROUP",
        )
    ),
    "BAPIMEPOACCOUNT": (
        ("PO_ITEM", "string"),
        ("SERIAL_NO", "string"),
        ("QUANTITY", "decimal"),
        ("DISTR_PERC", "decimal"),
        ("NET_VALUE", "decimal"),
        ("GL_ACCOUNT", "string"),
        ("COSTCENTER", "string"),
        ("WBS_ELEMENT", "string"),
    ),
    "BAPIMEPOACCOUNTX": tuple(
        (f, "string")
        for f in (
            "PO_ITEM",
            "SERIAL_NO",
            "PO_ITEMX",
            "SERIAL_NOX",
            "QUANTITY",
            "DISTR_PERC",
            "NET_VALUE",
            "GL_ACCOUNT",
            "COSTCENTER",
            "WBS_ELEMENT",
        )
    ),
}


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # an xsd type, or a structure name
    table: bool = False  # a TABLES parameter: a sequence of ``item``
    optional: bool = True


@dataclass(frozen=True)
class Function:
    name: str
    importing: tuple[Param, ...]
    exporting: tuple[Param, ...]
    tables: tuple[Param, ...]


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function(
            "RFC_READ_TABLE",
            (
                Param("DELIMITER", "string"),
                Param("NO_DATA", "string"),
                Param("QUERY_TABLE", "string", optional=False),
                Param("ROWCOUNT", "int"),
                Param("ROWSKIPS", "int"),
            ),
            (),
            (
                Param("DATA", "TAB512", True),
                Param("FIELDS", "RFC_DB_FLD", True),
                Param("OPTIONS", "RFC_DB_OPT", True),
            ),
        ),
        Function(
            "BAPI_PO_CHANGE",
            (
                Param("PURCHASEORDER", "string", optional=False),
                Param("POHEADER", "BAPIMEPOHEADER"),
                Param("POHEADERX", "BAPIMEPOHEADERX"),
                Param("TESTRUN", "string"),
            ),
            (),
            (
                Param("POACCOUNT", "BAPIMEPOACCOUNT", True),
                Param("POACCOUNTX", "BAPIMEPOACCOUNTX", True),
                Param("POITEM", "BAPIMEPOITEM", True),
                Param("POITEMX", "BAPIMEPOITEMX", True),
                Param("RETURN", "BAPIRET2", True),
            ),
        ),
        Function(
            "BAPI_PO_CREATE1",
            (
                Param("POHEADER", "BAPIMEPOHEADER"),
                Param("POHEADERX", "BAPIMEPOHEADERX"),
                Param("TESTRUN", "string"),
            ),
            (Param("EXPPURCHASEORDER", "string"),),
            (
                Param("POACCOUNT", "BAPIMEPOACCOUNT", True),
                Param("POACCOUNTX", "BAPIMEPOACCOUNTX", True),
                Param("POITEM", "BAPIMEPOITEM", True),
                Param("POITEMX", "BAPIMEPOITEMX", True),
                Param("RETURN", "BAPIRET2", True),
            ),
        ),
        Function(
            "BAPI_TRANSACTION_COMMIT",
            (Param("WAIT", "string"),),
            (Param("RETURN", "BAPIRET2"),),
            (),
        ),
    )
}


def _xsd(type_: str) -> str:
    return f"xsd:{type_}" if type_ in ("string", "int", "decimal") else f"tns:{type_}"


def _element(p: Param) -> str:
    type_ = f"tns:TABLE_OF_{p.type}" if p.table else _xsd(p.type)
    occurs = ' minOccurs="0"' if p.optional or p.table else ""
    return f'<xsd:element name="{p.name}" type="{type_}"{occurs}/>'


def wsdl(location: str, service: str = "ZTIEOUT_ECC") -> str:
    """The WSDL of one binding serving every function in ``FUNCTIONS`` at ``location``."""
    types = []
    for name, fields in STRUCTURES.items():
        inner = "".join(f'<xsd:element name="{f}" type="{_xsd(t)}" minOccurs="0"/>' for f, t in fields)
        types.append(f'<xsd:complexType name="{name}"><xsd:sequence>{inner}</xsd:sequence></xsd:complexType>')
        types.append(
            f'<xsd:complexType name="TABLE_OF_{name}"><xsd:sequence>'
            f'<xsd:element name="item" type="tns:{name}" minOccurs="0" maxOccurs="unbounded"/>'
            "</xsd:sequence></xsd:complexType>"
        )
    elements, messages, ops, bindings = [], [], [], []
    for fn in FUNCTIONS.values():
        req = "".join(_element(p) for p in (*fn.importing, *fn.tables))
        resp = "".join(_element(p) for p in (*fn.exporting, *fn.tables))
        elements.append(
            f'<xsd:element name="{fn.name}"><xsd:complexType><xsd:sequence>{req}</xsd:sequence></xsd:complexType></xsd:element>'
        )
        elements.append(
            f'<xsd:element name="{fn.name}Response"><xsd:complexType><xsd:sequence>{resp}'
            "</xsd:sequence></xsd:complexType></xsd:element>"
        )
        messages.append(
            f'<wsdl:message name="{fn.name}"><wsdl:part name="parameters" element="tns:{fn.name}"/></wsdl:message>'
        )
        messages.append(
            f'<wsdl:message name="{fn.name}Response"><wsdl:part name="parameter" element="tns:{fn.name}Response"/></wsdl:message>'
        )
        ops.append(
            f'<wsdl:operation name="{fn.name}"><wsdl:input message="tns:{fn.name}"/>'
            f'<wsdl:output message="tns:{fn.name}Response"/></wsdl:operation>'
        )
        bindings.append(
            f'<wsdl:operation name="{fn.name}"><soap:operation soapAction="{NS}:{service}:{fn.name}Request" style="document"/>'
            '<wsdl:input><soap:body use="literal"/></wsdl:input><wsdl:output><soap:body use="literal"/></wsdl:output>'
            "</wsdl:operation>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<wsdl:definitions targetNamespace="{NS}" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" '
        'xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        f'xmlns:tns="{NS}">'
        f'<wsdl:types><xsd:schema attributeFormDefault="qualified" targetNamespace="{NS}">'
        + "".join(types)
        + "".join(elements)
        + "</xsd:schema></wsdl:types>"
        + "".join(messages)
        + f'<wsdl:portType name="{service}">'
        + "".join(ops)
        + "</wsdl:portType>"
        + f'<wsdl:binding name="{service}_binding" type="tns:{service}">'
        '<soap:binding transport="http://schemas.xmlsoap.org/soap/http" style="document"/>'
        + "".join(bindings)
        + "</wsdl:binding>"
        + f'<wsdl:service name="{service}_service"><wsdl:port name="{service}_binding" binding="tns:{service}_binding">'
        f"<soap:address location={quoteattr(location)}/></wsdl:port></wsdl:service>"
        "</wsdl:definitions>"
    )
