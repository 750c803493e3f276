CREATE SCHEMA app;

CREATE DOMAIN app.posint AS int CHECK (VALUE > 0);
CREATE DOMAIN app.small_posint AS app.posint CHECK (VALUE < 100);
CREATE TABLE app.boxes (id int PRIMARY KEY, size app.small_posint);
