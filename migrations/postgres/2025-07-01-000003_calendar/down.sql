DROP TABLE calendar_adjustments;
