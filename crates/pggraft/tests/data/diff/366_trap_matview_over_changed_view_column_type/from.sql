CREATE SCHEMA app;

CREATE TABLE app.sales (id int PRIMARY KEY, amount int);
CREATE VIEW app.v_sales AS SELECT id, amount FROM app.sales;
CREATE MATERIALIZED VIEW app.mv_totals AS SELECT sum(amount) AS total FROM app.v_sales;
CREATE INDEX mv_totals_total_idx ON app.mv_totals (total);
