CREATE TABLE "request_records" (
	"request_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"type" text NOT NULL,
	"regime" text NOT NULL,
	"outcome" text NOT NULL,
	"rejection_reason" text,
	"received_at" timestamp with time zone NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone NOT NULL,
	"receipt" jsonb
);
--> statement-breakpoint
ALTER TABLE "request_records" ADD CONSTRAINT "request_records_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "request_records_tenant_received_idx" ON "request_records" USING btree ("tenant_id","received_at");--> statement-breakpoint
CREATE INDEX "request_records_ended_idx" ON "request_records" USING btree ("ended_at");