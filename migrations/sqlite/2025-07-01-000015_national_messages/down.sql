DROP TABLE payment_platform_receipts;
DROP TABLE payment_beneficiaries;
UPDATE portal_outbox SET status = 'pending' WHERE status = 'held';
DROP INDEX communes_agency_code_key;
