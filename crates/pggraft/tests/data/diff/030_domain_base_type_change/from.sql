CREATE SCHEMA app;

CREATE DOMAIN app.qty AS integer CHECK (VALUE >= 0);
CREATE TABLE app.items (id int PRIMARY KEY, qty app.qty NOT NULL);
INSERT INTO app.items VALUES (1, 5), (2, 0);
