CREATE SCHEMA app;

CREATE DOMAIN app.amount AS numeric(12,2);
ALTER DOMAIN app.amount ADD CONSTRAINT amount_positive CHECK (VALUE > 0) NOT VALID;
CREATE TABLE app.payments (id int PRIMARY KEY, amount app.amount);
