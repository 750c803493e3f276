CREATE SCHEMA app;

CREATE TABLE app."café" ("größe" bigint, "日本語" text, "emoji😀" boolean);
CREATE TYPE app."état" AS ENUM ('prêt', 'fini', 'ñandú');
CREATE TABLE app."Ωmega" (id int PRIMARY KEY, s app."état");
