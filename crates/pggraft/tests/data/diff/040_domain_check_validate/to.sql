CREATE SCHEMA app;

CREATE DOMAIN app.amount AS numeric(12,2) CONSTRAINT amount_positive CHECK (VALUE > 0);
CREATE TABLE app.payments (id int PRIMARY KEY, amount app.amount);
