CREATE SCHEMA "erasures";
--> statement-breakpoint
CREATE TABLE "erasures"."records" (
	"request_id" text NOT NULL,
	"feature" text NOT NULL,
	"outcome" jsonb NOT NULL,
	"erased_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "records_request_id_feature_pk" PRIMARY KEY("request_id","feature")
);
