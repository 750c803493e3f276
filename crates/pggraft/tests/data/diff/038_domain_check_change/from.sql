CREATE SCHEMA app;

CREATE DOMAIN app.qty AS int CHECK (VALUE > 0);
CREATE TABLE app.items (id int PRIMARY KEY, qty app.qty);
INSERT INTO app.items VALUES (1, 3), (2, 900);
