CREATE TABLE "requested_changes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"request_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"feature" text NOT NULL,
	"item" text NOT NULL,
	"new_value" text,
	"explanation" text,
	"outcome" text DEFAULT 'pending' NOT NULL,
	"old_value" text,
	"reason" text,
	"decided_at" timestamp with time zone,
	"erased_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "requested_changes" ADD CONSTRAINT "requested_changes_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "requested_changes_request_position_idx" ON "requested_changes" USING btree ("request_id","position");