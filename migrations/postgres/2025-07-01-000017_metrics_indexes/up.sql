-- /metrics counts what still needs attention at every scrape (service::monitoring): the
-- deliveries not yet delivered. Partial, so the index holds only those few rows while the
-- table grows with every event.
CREATE INDEX webhook_deliveries_open_idx ON webhook_deliveries (status) WHERE status <> 'delivered';
