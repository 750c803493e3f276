CREATE SCHEMA app;

CREATE TABLE app."Audit Log" (id int PRIMARY KEY, "Who" text);
CREATE FUNCTION app."Trigger Fn"() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER "Before Insert" BEFORE INSERT ON app."Audit Log" FOR EACH ROW EXECUTE FUNCTION app."Trigger Fn"();
CREATE RULE "No Delete!" AS ON DELETE TO app."Audit Log" DO INSTEAD NOTHING;
ALTER TABLE app."Audit Log" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Only ""Me""" ON app."Audit Log" TO "App Writer" USING ("Who" = current_user);
GRANT SELECT ("Who") ON app."Audit Log" TO "App Writer";
