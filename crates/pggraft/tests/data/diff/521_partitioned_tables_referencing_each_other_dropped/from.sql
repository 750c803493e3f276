CREATE SCHEMA app;

CREATE TABLE app.accounts (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE app.accounts_low PARTITION OF app.accounts FOR VALUES FROM (0) TO (1000);
CREATE TABLE app.accounts_high PARTITION OF app.accounts FOR VALUES FROM (1000) TO (MAXVALUE);
CREATE TABLE app.notes (id int PRIMARY KEY, account_id int REFERENCES app.accounts);
CREATE TABLE app.entries (
    id int NOT NULL,
    account_id int NOT NULL,
    PRIMARY KEY (id, account_id)
) PARTITION BY RANGE (id);
CREATE TABLE app.entries_1 PARTITION OF app.entries FOR VALUES FROM (0) TO (100);
ALTER TABLE app.entries ADD CONSTRAINT entries_fk FOREIGN KEY (account_id) REFERENCES app.accounts;
ALTER TABLE app.entries_1 ADD CONSTRAINT entries_1_own_fk FOREIGN KEY (account_id) REFERENCES app.accounts;
INSERT INTO app.accounts VALUES (1), (2000);
INSERT INTO app.notes VALUES (1, 2000), (2, NULL);
INSERT INTO app.entries VALUES (1, 1);
