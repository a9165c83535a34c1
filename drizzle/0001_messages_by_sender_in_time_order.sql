DROP INDEX "im"."messages_tenant_sender_idx";--> statement-breakpoint
CREATE INDEX "messages_tenant_sender_sent_idx" ON "im"."messages" USING btree ("tenant_id","sender_account_id","sent_at","id");