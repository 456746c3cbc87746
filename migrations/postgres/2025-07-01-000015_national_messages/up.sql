-- National messages (issue 14, issue 13 hole 5).

-- The agency's electronic identifier (mã định danh điện tử, QĐ 20/2020/QĐ-TTg) is unique
-- among communes, and the fallback form H{province}.{commune} is reserved: a commune never
-- takes another's. Existing settings that broke either rule are cleared (they fall back to
-- the commune's own default) before the index is built; existing dossier codes are kept.
UPDATE communes SET agency_code = NULL
 WHERE agency_code = 'H' || province_code || '.' || code
    OR EXISTS (SELECT 1 FROM communes o WHERE o.code <> communes.code
               AND 'H' || o.province_code || '.' || o.code = communes.agency_code)
    OR EXISTS (SELECT 1 FROM communes o WHERE o.code < communes.code
               AND o.agency_code = communes.agency_code);
CREATE UNIQUE INDEX communes_agency_code_key ON communes (agency_code);

-- Portal messages of a commune without an issued identifier wait ('held') instead of
-- being sent with a made-up one; setting the identifier releases them.
UPDATE portal_outbox SET status = 'held'
 WHERE status = 'pending'
   AND dossier_id IN (SELECT d.id FROM dossiers d JOIN communes c ON c.code = d.commune_code
                      WHERE c.agency_code IS NULL);

-- The account the payment platform pays into (tài khoản thụ hưởng): per commune, or per
-- province for the communes without their own ('commune' or 'province' scope).
CREATE TABLE payment_beneficiaries (
    scope_code   TEXT PRIMARY KEY,
    scope        TEXT NOT NULL,
    account_name TEXT NOT NULL,
    account_no   TEXT NOT NULL,
    bank_code    TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);

-- The platform's own receipt (biên lai) of each successful online payment, as fetched.
CREATE TABLE payment_platform_receipts (
    payment_id TEXT PRIMARY KEY REFERENCES payments (id),
    content    BYTEA NOT NULL,
    sha256     TEXT NOT NULL,
    fetched_at TIMESTAMP NOT NULL
);
