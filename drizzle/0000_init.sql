CREATE SCHEMA "calendar";
--> statement-breakpoint
CREATE SCHEMA "clock_in";
--> statement-breakpoint
CREATE SCHEMA "clouddrive";
--> statement-breakpoint
CREATE SCHEMA "im";
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "request_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"request_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"kind" text NOT NULL,
	"feature" text,
	"detail" jsonb
);
--> statement-breakpoint
CREATE TABLE "requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"type" text NOT NULL,
	"status" text NOT NULL,
	"subject_account_id" text NOT NULL,
	"features" text[] NOT NULL,
	"catalogue_version" text NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	"result_key" text,
	"result_media_type" text,
	"result_size" integer,
	"result_sha256" text,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"request_id" uuid NOT NULL,
	"feature" text NOT NULL,
	"status" text NOT NULL,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"outcome" jsonb,
	"partial_key" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "tenants" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"features" text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "calendar"."attendees" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"event_id" uuid NOT NULL,
	"account_id" text NOT NULL,
	"response" text DEFAULT 'pending' NOT NULL,
	CONSTRAINT "attendees_response_check" CHECK ("calendar"."attendees"."response" in ('pending', 'accepted', 'tentative', 'declined'))
);
--> statement-breakpoint
CREATE TABLE "calendar"."events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"organizer_account_id" text,
	"title" text NOT NULL,
	"content" text,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"location" text,
	CONSTRAINT "events_time_check" CHECK ("calendar"."events"."ends_at" >= "calendar"."events"."starts_at")
);
--> statement-breakpoint
CREATE TABLE "clock_in"."blob_deletions" (
	"blob_key" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "clock_in"."profiles" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"name" text NOT NULL,
	"department" text,
	"employee_id" text,
	"work_address" text
);
--> statement-breakpoint
CREATE TABLE "clock_in"."records" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"clocked_at" timestamp with time zone NOT NULL,
	"direction" text NOT NULL,
	"method" text NOT NULL,
	"latitude" numeric(9, 6),
	"longitude" numeric(9, 6),
	"device_name" text,
	"device_model" text,
	"os" text,
	"face_image_key" text,
	"face_image_media_type" text,
	"face_image_sha256" text,
	"face_image_size" bigint,
	CONSTRAINT "records_direction_check" CHECK ("clock_in"."records"."direction" in ('in', 'out')),
	CONSTRAINT "records_method_check" CHECK ("clock_in"."records"."method" in ('location', 'machine', 'photo', 'face'))
);
--> statement-breakpoint
CREATE TABLE "clouddrive"."blob_deletions" (
	"blob_key" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "clouddrive"."files" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"folder_id" uuid,
	"owner_account_id" text,
	"name" text NOT NULL,
	"media_type" text NOT NULL,
	"size" bigint NOT NULL,
	"sha256" text NOT NULL,
	"blob_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "clouddrive"."folders" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"owner_account_id" text,
	"parent_id" uuid,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "clouddrive"."permissions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"file_id" uuid,
	"folder_id" uuid,
	"account_id" text NOT NULL,
	"role" text NOT NULL,
	CONSTRAINT "permissions_target_check" CHECK (num_nonnulls("clouddrive"."permissions"."file_id", "clouddrive"."permissions"."folder_id") = 1),
	CONSTRAINT "permissions_role_check" CHECK ("clouddrive"."permissions"."role" in ('viewer', 'editor'))
);
--> statement-breakpoint
CREATE TABLE "clouddrive"."users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"name" text NOT NULL,
	"department" text,
	"email" text
);
--> statement-breakpoint
CREATE TABLE "im"."attachments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"message_id" uuid NOT NULL,
	"file_name" text NOT NULL,
	"media_type" text NOT NULL,
	"size" bigint NOT NULL,
	"sha256" text NOT NULL,
	"blob_key" text NOT NULL,
	"duration_ms" integer
);
--> statement-breakpoint
CREATE TABLE "im"."blob_deletions" (
	"blob_key" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "im"."conversations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"kind" text NOT NULL,
	"title" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "conversations_kind_check" CHECK ("im"."conversations"."kind" in ('direct', 'group'))
);
--> statement-breakpoint
CREATE TABLE "im"."devices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"device_id" text NOT NULL,
	"device_name" text,
	"device_model" text,
	"os" text,
	"network_type" text,
	"mac_address" text,
	"ip_address" text,
	"last_seen_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "im"."members" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"conversation_id" uuid NOT NULL,
	"account_id" text NOT NULL,
	"joined_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "im"."messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"conversation_id" uuid NOT NULL,
	"sender_account_id" text,
	"kind" text NOT NULL,
	"body" text,
	"sent_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "messages_kind_check" CHECK ("im"."messages"."kind" in ('text', 'image', 'file', 'voice'))
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_events" ADD CONSTRAINT "request_events_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "requests" ADD CONSTRAINT "requests_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calendar"."attendees" ADD CONSTRAINT "attendees_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "calendar"."events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clouddrive"."files" ADD CONSTRAINT "files_folder_id_folders_id_fk" FOREIGN KEY ("folder_id") REFERENCES "clouddrive"."folders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clouddrive"."folders" ADD CONSTRAINT "folders_parent_id_folders_id_fk" FOREIGN KEY ("parent_id") REFERENCES "clouddrive"."folders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clouddrive"."permissions" ADD CONSTRAINT "permissions_file_id_files_id_fk" FOREIGN KEY ("file_id") REFERENCES "clouddrive"."files"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clouddrive"."permissions" ADD CONSTRAINT "permissions_folder_id_folders_id_fk" FOREIGN KEY ("folder_id") REFERENCES "clouddrive"."folders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "im"."attachments" ADD CONSTRAINT "attachments_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "im"."messages"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "im"."members" ADD CONSTRAINT "members_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "im"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "im"."messages" ADD CONSTRAINT "messages_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "im"."conversations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_hash_idx" ON "api_keys" USING btree ("hash");--> statement-breakpoint
CREATE INDEX "request_events_request_idx" ON "request_events" USING btree ("request_id","id");--> statement-breakpoint
CREATE INDEX "requests_tenant_created_idx" ON "requests" USING btree ("tenant_id","created_at","id");--> statement-breakpoint
CREATE INDEX "requests_tenant_subject_idx" ON "requests" USING btree ("tenant_id","subject_account_id");--> statement-breakpoint
CREATE INDEX "requests_status_idx" ON "requests" USING btree ("status") WHERE status in ('received', 'queued', 'processing');--> statement-breakpoint
CREATE UNIQUE INDEX "tasks_request_feature_idx" ON "tasks" USING btree ("request_id","feature");--> statement-breakpoint
CREATE UNIQUE INDEX "attendees_event_account_idx" ON "calendar"."attendees" USING btree ("event_id","account_id");--> statement-breakpoint
CREATE INDEX "attendees_tenant_account_idx" ON "calendar"."attendees" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "events_tenant_organizer_idx" ON "calendar"."events" USING btree ("tenant_id","organizer_account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "profiles_tenant_account_idx" ON "clock_in"."profiles" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "records_tenant_account_idx" ON "clock_in"."records" USING btree ("tenant_id","account_id","clocked_at");--> statement-breakpoint
CREATE UNIQUE INDEX "records_face_image_key_idx" ON "clock_in"."records" USING btree ("face_image_key");--> statement-breakpoint
CREATE INDEX "files_tenant_owner_idx" ON "clouddrive"."files" USING btree ("tenant_id","owner_account_id");--> statement-breakpoint
CREATE INDEX "files_folder_idx" ON "clouddrive"."files" USING btree ("folder_id");--> statement-breakpoint
CREATE UNIQUE INDEX "files_blob_key_idx" ON "clouddrive"."files" USING btree ("blob_key");--> statement-breakpoint
CREATE INDEX "folders_tenant_owner_idx" ON "clouddrive"."folders" USING btree ("tenant_id","owner_account_id");--> statement-breakpoint
CREATE INDEX "folders_parent_idx" ON "clouddrive"."folders" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "permissions_tenant_account_idx" ON "clouddrive"."permissions" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "permissions_file_idx" ON "clouddrive"."permissions" USING btree ("file_id");--> statement-breakpoint
CREATE INDEX "permissions_folder_idx" ON "clouddrive"."permissions" USING btree ("folder_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_tenant_account_idx" ON "clouddrive"."users" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "attachments_message_idx" ON "im"."attachments" USING btree ("message_id");--> statement-breakpoint
CREATE UNIQUE INDEX "attachments_blob_key_idx" ON "im"."attachments" USING btree ("blob_key");--> statement-breakpoint
CREATE INDEX "conversations_tenant_idx" ON "im"."conversations" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "devices_tenant_account_idx" ON "im"."devices" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "members_conversation_account_idx" ON "im"."members" USING btree ("conversation_id","account_id");--> statement-breakpoint
CREATE INDEX "members_tenant_account_idx" ON "im"."members" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "messages_tenant_sender_idx" ON "im"."messages" USING btree ("tenant_id","sender_account_id");--> statement-breakpoint
CREATE INDEX "messages_conversation_sent_idx" ON "im"."messages" USING btree ("conversation_id","sent_at");