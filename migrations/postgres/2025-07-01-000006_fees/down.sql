DROP TABLE payment_callbacks;
DROP TABLE payment_refunds;
DROP TABLE receipt_counters;
DROP TABLE payments;
DROP TABLE dossier_fees;
DROP TABLE fee_assessments;
DROP TABLE fee_schedules;
