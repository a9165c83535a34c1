CREATE SCHEMA "corrections";
--> statement-breakpoint
CREATE TABLE "corrections"."records" (
	"change_id" text PRIMARY KEY NOT NULL,
	"request_id" text NOT NULL,
	"outcome" text NOT NULL,
	"old_value" text,
	"reason" text,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "correction_records_request_idx" ON "corrections"."records" USING btree ("request_id");