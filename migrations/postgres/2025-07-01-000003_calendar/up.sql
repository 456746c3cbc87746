-- The government's yearly calendar decisions (extra days off, swapped working Saturdays).
-- Fixed holidays and Tết / Giỗ Tổ are computed (Labour Code 2019 Art. 112), not stored.
CREATE TABLE calendar_adjustments (
    day         DATE PRIMARY KEY,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    legal_basis TEXT,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
