CREATE SCHEMA app;

CREATE TABLE app.accounts (id int PRIMARY KEY, balance numeric NOT NULL);
CREATE FUNCTION app.check_balance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.balance < 0 THEN
        RAISE EXCEPTION 'negative balance for %', NEW.id;
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER accounts_balance_check AFTER INSERT OR UPDATE ON app.accounts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION app.check_balance();
