CREATE TABLE "tenant_approval" (
	"tenant_id" text NOT NULL,
	"request_type" text NOT NULL,
	"mode" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenant_approval_tenant_id_request_type_pk" PRIMARY KEY("tenant_id","request_type")
);
--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "requested_by_type" text DEFAULT 'system' NOT NULL;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "requested_by_id" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "requested_by_name" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "verification_method" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "verification_note" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "rejection_reason" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "rejection_note" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "info_request_note" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "subject_response_note" text;--> statement-breakpoint
ALTER TABLE "tenant_approval" ADD CONSTRAINT "tenant_approval_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "requests_open_per_subject_idx" ON "requests" USING btree ("tenant_id","subject_account_id","type") WHERE status in ('received', 'queued', 'processing', 'action_required', 'awaiting_approval', 'awaiting_subject');