CREATE SCHEMA app;

CREATE DOMAIN app.qty AS bigint CHECK (VALUE >= 0);
CREATE TABLE app.items (id int PRIMARY KEY, qty app.qty NOT NULL);
