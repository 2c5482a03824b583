"""The canonical tables exactly as the store's first migration created them.

Why frozen: a shipped migration must never change, but the canonical schemas do (the ERP
seam renamed ``erp_wbs`` and gave ERP tables per-kind dimension columns). Later changes are
new migrations in ``reconcile.store``.
"""

from __future__ import annotations

V1_CANONICAL_DDL: list[str] = [
    "CREATE TABLE procore_projects (snapshot_id BIGINT NOT NULL, "
    "id BIGINT, project_number VARCHAR, name VARCHAR, active BOOLEAN, "
    "origin_id VARCHAR, updated_at TIMESTAMPTZ)",
    "CREATE INDEX procore_projects_snap ON procore_projects(snapshot_id)",
    "CREATE TABLE procore_vendors (snapshot_id BIGINT NOT NULL, "
    "id BIGINT, name VARCHAR, is_active BOOLEAN, origin_id VARCHAR, "
    "updated_at TIMESTAMPTZ)",
    "CREATE INDEX procore_vendors_snap ON procore_vendors(snapshot_id)",
    "CREATE TABLE procore_cost_codes (snapshot_id BIGINT NOT NULL, "
    "id BIGINT, project_id BIGINT, full_code VARCHAR, name VARCHAR, origin_id VARCHAR)",
    "CREATE INDEX procore_cost_codes_snap ON procore_cost_codes(snapshot_id)",
    "CREATE TABLE procore_commitments (snapshot_id BIGINT NOT NULL, "
    "id BIGINT, project_id BIGINT, contract_type VARCHAR, number VARCHAR, "
    "title VARCHAR, status VARCHAR, vendor_id BIGINT, origin_id VARCHAR, "
    "grand_total DECIMAL(18,4), updated_at TIMESTAMPTZ)",
    "CREATE INDEX procore_commitments_snap ON procore_commitments(snapshot_id)",
    "CREATE TABLE procore_commitment_lines (snapshot_id BIGINT NOT NULL, "
    "id BIGINT, contract_id BIGINT, project_id BIGINT, position BIGINT, "
    "description VARCHAR, cost_code_id BIGINT, cost_code VARCHAR, "
    "line_item_type_id BIGINT, amount DECIMAL(18,4), origin_id VARCHAR, "
    "updated_at TIMESTAMPTZ)",
    "CREATE INDEX procore_commitment_lines_snap ON procore_commitment_lines(snapshot_id)",
    "CREATE TABLE procore_commitment_change_orders (snapshot_id BIGINT NOT NULL, "
    "id BIGINT, project_id BIGINT, contract_id BIGINT, number VARCHAR, status VARCHAR, "
    "grand_total DECIMAL(18,4), updated_at TIMESTAMPTZ)",
    "CREATE INDEX procore_commitment_change_orders_snap ON procore_commitment_change_orders(snapshot_id)",
    "CREATE TABLE procore_budget_lines (snapshot_id BIGINT NOT NULL, "
    "project_id BIGINT, cost_code_id BIGINT, cost_code VARCHAR, category_id BIGINT, "
    "original_budget_amount DECIMAL(18,4))",
    "CREATE INDEX procore_budget_lines_snap ON procore_budget_lines(snapshot_id)",
    "CREATE TABLE procore_actual_lines (snapshot_id BIGINT NOT NULL, "
    "id VARCHAR, project_id BIGINT, source VARCHAR, document_id BIGINT, "
    "status VARCHAR, cost_code VARCHAR, amount DECIMAL(18,4), origin_id VARCHAR, "
    "updated_at TIMESTAMPTZ)",
    "CREATE INDEX procore_actual_lines_snap ON procore_actual_lines(snapshot_id)",
    "CREATE TABLE erp_wbs (snapshot_id BIGINT NOT NULL, "
    "wbs_element VARCHAR, project VARCHAR, parent_wbs VARCHAR, level BIGINT, "
    "description VARCHAR)",
    "CREATE INDEX erp_wbs_snap ON erp_wbs(snapshot_id)",
    "CREATE TABLE erp_vendors (snapshot_id BIGINT NOT NULL, supplier VARCHAR, name VARCHAR, blocked BOOLEAN)",
    "CREATE INDEX erp_vendors_snap ON erp_vendors(snapshot_id)",
    "CREATE TABLE erp_commitments (snapshot_id BIGINT NOT NULL, "
    "po_number VARCHAR, supplier VARCHAR, company_code VARCHAR, currency VARCHAR, "
    "po_date DATE, last_change TIMESTAMPTZ, etag VARCHAR)",
    "CREATE INDEX erp_commitments_snap ON erp_commitments(snapshot_id)",
    "CREATE TABLE erp_commitment_lines (snapshot_id BIGINT NOT NULL, "
    "po_number VARCHAR, item VARCHAR, description VARCHAR, quantity DECIMAL(18,3), "
    "net_price DECIMAL(18,4), price_unit DECIMAL(18,3), amount DECIMAL(18,4), "
    "currency VARCHAR, wbs_element VARCHAR, gl_account VARCHAR, cost_center VARCHAR, "
    "etag VARCHAR)",
    "CREATE INDEX erp_commitment_lines_snap ON erp_commitment_lines(snapshot_id)",
    "CREATE TABLE erp_budgets (snapshot_id BIGINT NOT NULL, "
    "wbs_element VARCHAR, fiscal_year VARCHAR, amount DECIMAL(18,4), currency VARCHAR)",
    "CREATE INDEX erp_budgets_snap ON erp_budgets(snapshot_id)",
    "CREATE TABLE erp_actuals (snapshot_id BIGINT NOT NULL, "
    "wbs_element VARCHAR, gl_account VARCHAR, cost_center VARCHAR, "
    "amount DECIMAL(18,4), currency VARCHAR)",
    "CREATE INDEX erp_actuals_snap ON erp_actuals(snapshot_id)",
]
