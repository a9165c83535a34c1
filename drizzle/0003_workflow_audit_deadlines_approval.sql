CREATE TABLE "audit_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"request_id" uuid,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"kind" text NOT NULL,
	"feature" text,
	"actor_type" text NOT NULL,
	"actor_id" text,
	"actor_name" text,
	"actor_ip" text,
	"detail" jsonb
);
--> statement-breakpoint
CREATE TABLE "tenant_approval" (
	"tenant_id" text NOT NULL,
	"step" text NOT NULL,
	"mode" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenant_approval_tenant_id_step_pk" PRIMARY KEY("tenant_id","step")
);
--> statement-breakpoint
-- The trail so far moves into the audit trail (its steps were the system's), then its old table goes.
INSERT INTO "audit_events" ("tenant_id", "request_id", "at", "kind", "feature", "actor_type", "detail")
  SELECT r."tenant_id", e."request_id", e."at", e."kind", e."feature", 'system', e."detail"
  FROM "request_events" e JOIN "requests" r ON r."id" = e."request_id" ORDER BY e."id";--> statement-breakpoint
DROP TABLE "request_events" CASCADE;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "requested_by_type" text DEFAULT 'system' NOT NULL;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "requested_by_id" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "requested_by_name" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "verification_method" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "verification_note" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "rejection_reason" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "rejection_note" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "info_request_note" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "subject_response_note" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "regime" text DEFAULT 'gdpr' NOT NULL;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "extended_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "extension_reason" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "paused_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "release_review" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "released_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "withheld" jsonb;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "default_regime" text DEFAULT 'gdpr' NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenant_approval" ADD CONSTRAINT "tenant_approval_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_events_request_idx" ON "audit_events" USING btree ("request_id","id");--> statement-breakpoint
CREATE INDEX "audit_events_tenant_idx" ON "audit_events" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "requests_open_per_subject_idx" ON "requests" USING btree ("tenant_id","subject_account_id","type") WHERE status in ('received', 'queued', 'processing', 'action_required', 'awaiting_approval', 'awaiting_subject', 'awaiting_release');