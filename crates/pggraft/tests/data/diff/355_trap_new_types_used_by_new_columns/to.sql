CREATE SCHEMA app;

CREATE TYPE app.tier AS ENUM ('free', 'pro');
CREATE DOMAIN app.email AS text CHECK (VALUE ~ '@');
CREATE TYPE app.address AS (street text, city text);
CREATE TYPE app.span AS RANGE (subtype = date);
CREATE TABLE app.customers (
    id int PRIMARY KEY,
    tier app.tier NOT NULL DEFAULT 'free',
    email app.email,
    addr app.address,
    active app.span
);
