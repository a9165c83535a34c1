ALTER TABLE "console"."operation_logs" ADD COLUMN "restricted_until" date;--> statement-breakpoint
ALTER TABLE "red_envelope"."payments" ADD COLUMN "restricted_until" date;--> statement-breakpoint
ALTER TABLE "security"."login_logs" ADD COLUMN "restricted_until" date;--> statement-breakpoint
ALTER TABLE "security"."operation_logs" ADD COLUMN "restricted_until" date;