CREATE SCHEMA "account_login";
--> statement-breakpoint
CREATE SCHEMA "address_book";
--> statement-breakpoint
CREATE SCHEMA "approval";
--> statement-breakpoint
CREATE SCHEMA "athena";
--> statement-breakpoint
CREATE SCHEMA "calendar";
--> statement-breakpoint
CREATE SCHEMA "clock_in";
--> statement-breakpoint
CREATE SCHEMA "clouddrive";
--> statement-breakpoint
CREATE SCHEMA "console";
--> statement-breakpoint
CREATE SCHEMA "email";
--> statement-breakpoint
CREATE SCHEMA "im";
--> statement-breakpoint
CREATE SCHEMA "knowledge";
--> statement-breakpoint
CREATE SCHEMA "live_streaming";
--> statement-breakpoint
CREATE SCHEMA "meetings";
--> statement-breakpoint
CREATE SCHEMA "pseudonyms";
--> statement-breakpoint
CREATE SCHEMA "red_envelope";
--> statement-breakpoint
CREATE SCHEMA "search";
--> statement-breakpoint
CREATE SCHEMA "security";
--> statement-breakpoint
CREATE SCHEMA "translation";
--> statement-breakpoint
CREATE SCHEMA "wecode";
--> statement-breakpoint
CREATE SCHEMA "weform";
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
	"subject_identified_by" text DEFAULT 'accountId' NOT NULL,
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
	"datasets" jsonb,
	"adapter" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "tenant_feature_settings" (
	"tenant_id" text NOT NULL,
	"feature" text NOT NULL,
	"adapter" text NOT NULL,
	"connector_url" text,
	"connector_secret" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenant_feature_settings_tenant_id_feature_pk" PRIMARY KEY("tenant_id","feature")
);
--> statement-breakpoint
CREATE TABLE "tenants" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"features" text[] NOT NULL,
	"shared_data_policy" text DEFAULT 'own_only' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "download_links" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"request_id" uuid NOT NULL,
	"created_by_key_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"max_downloads" integer,
	"downloads" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "downloads" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"request_id" uuid NOT NULL,
	"api_key_id" uuid,
	"link_id" uuid,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"part" integer NOT NULL,
	"range_start" bigint NOT NULL,
	"range_end" bigint NOT NULL,
	"bytes_sent" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "result_parts" (
	"request_id" uuid NOT NULL,
	"part" integer NOT NULL,
	"key" text NOT NULL,
	"file_name" text NOT NULL,
	"media_type" text NOT NULL,
	"size" bigint NOT NULL,
	"sha256" text NOT NULL,
	CONSTRAINT "result_parts_request_id_part_pk" PRIMARY KEY("request_id","part")
);
--> statement-breakpoint
CREATE TABLE "account_login"."accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"mobile" text,
	"email" text,
	"password_hash" text,
	"password_set" boolean GENERATED ALWAYS AS (password_hash is not null) STORED,
	"password_changed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "account_login"."third_party_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"provider" text NOT NULL,
	"external_id" text NOT NULL,
	"linked_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "third_party_accounts_provider_check" CHECK ("account_login"."third_party_accounts"."provider" in ('huawei_id'))
);
--> statement-breakpoint
CREATE TABLE "address_book"."blob_deletions" (
	"blob_key" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "address_book"."contacts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"name" text NOT NULL,
	"gender" text,
	"birthday" date,
	"personal_signature" text,
	"mobile" text,
	"email" text,
	"employee_id" text,
	"position" text,
	"role" text,
	"department" text,
	"office_address" text,
	"remarks" text,
	"profile_image_key" text,
	"profile_image_media_type" text,
	"profile_image_size" bigint,
	"profile_image_sha256" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "contacts_gender_check" CHECK ("address_book"."contacts"."gender" in ('female', 'male', 'undisclosed'))
);
--> statement-breakpoint
CREATE TABLE "address_book"."external_contacts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"owner_account_id" text NOT NULL,
	"name" text NOT NULL,
	"company" text,
	"position" text,
	"mobile" text,
	"email" text,
	"remarks" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "approval"."profiles" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"name" text NOT NULL,
	"employee_id" text,
	"department" text
);
--> statement-breakpoint
CREATE TABLE "approval"."steps" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"submission_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"approver_account_id" text,
	"decision" text NOT NULL,
	"comment" text,
	"decided_at" timestamp with time zone,
	CONSTRAINT "steps_decision_check" CHECK ("approval"."steps"."decision" in ('pending', 'approved', 'rejected'))
);
--> statement-breakpoint
CREATE TABLE "approval"."submissions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"applicant_account_id" text,
	"form" text NOT NULL,
	"title" text NOT NULL,
	"content" text NOT NULL,
	"status" text NOT NULL,
	"submitted_at" timestamp with time zone NOT NULL,
	CONSTRAINT "submissions_form_check" CHECK ("approval"."submissions"."form" in ('leave', 'expense', 'business_trip', 'purchase')),
	CONSTRAINT "submissions_status_check" CHECK ("approval"."submissions"."status" in ('pending', 'approved', 'rejected', 'withdrawn'))
);
--> statement-breakpoint
CREATE TABLE "athena"."blob_deletions" (
	"blob_key" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "athena"."dialogs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"title" text,
	"started_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "athena"."inputs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"dialog_id" uuid NOT NULL,
	"account_id" text NOT NULL,
	"kind" text NOT NULL,
	"input_text" text,
	"voice_key" text,
	"voice_media_type" text,
	"voice_size" bigint,
	"voice_sha256" text,
	"voice_duration_ms" integer,
	"answer" text,
	"asked_at" timestamp with time zone NOT NULL,
	CONSTRAINT "inputs_kind_check" CHECK ("athena"."inputs"."kind" in ('text', 'voice'))
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
CREATE TABLE "console"."administrators" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"name" text NOT NULL,
	"email" text,
	"huawei_cloud_account" text,
	"role" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "administrators_role_check" CHECK ("console"."administrators"."role" in ('owner', 'administrator', 'auditor'))
);
--> statement-breakpoint
CREATE TABLE "console"."operation_logs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"operation" text NOT NULL,
	"target" text,
	"result" text NOT NULL,
	"ip_address" text,
	CONSTRAINT "operation_logs_result_check" CHECK ("console"."operation_logs"."result" in ('success', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "email"."accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"email_address" text NOT NULL,
	"incoming_server" text NOT NULL,
	"outgoing_server" text NOT NULL,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "email"."mailboxes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"email_account_id" uuid NOT NULL,
	"folder" text NOT NULL,
	"message_count" integer NOT NULL,
	"unread_count" integer NOT NULL,
	"last_synced_at" timestamp with time zone
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
CREATE TABLE "knowledge"."blob_deletions" (
	"blob_key" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "knowledge"."comments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"post_id" uuid NOT NULL,
	"author_account_id" text NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "knowledge"."likes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"post_id" uuid NOT NULL,
	"account_id" text NOT NULL,
	"liked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "knowledge"."posts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"author_account_id" text,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "knowledge"."profiles" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"name" text NOT NULL,
	"nickname" text,
	"mobile" text,
	"employee_id" text,
	"department" text,
	"remarks" text,
	"profile_image_key" text,
	"profile_image_media_type" text,
	"profile_image_size" bigint,
	"profile_image_sha256" text
);
--> statement-breakpoint
CREATE TABLE "live_streaming"."blob_deletions" (
	"blob_key" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "live_streaming"."broadcasts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"publisher_account_id" text,
	"speaker_account_id" text,
	"topic" text NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone,
	"status" text NOT NULL,
	CONSTRAINT "broadcasts_status_check" CHECK ("live_streaming"."broadcasts"."status" in ('scheduled', 'live', 'ended', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "live_streaming"."recordings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"broadcast_id" uuid NOT NULL,
	"file_name" text NOT NULL,
	"media_type" text NOT NULL,
	"size" bigint NOT NULL,
	"sha256" text NOT NULL,
	"blob_key" text NOT NULL,
	"duration_ms" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "live_streaming"."viewers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"broadcast_id" uuid NOT NULL,
	"account_id" text NOT NULL,
	"name" text NOT NULL,
	"department" text,
	"joined_at" timestamp with time zone NOT NULL,
	"left_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "meetings"."blob_deletions" (
	"blob_key" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "meetings"."captions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"meeting_id" uuid NOT NULL,
	"speaker_account_id" text,
	"text" text NOT NULL,
	"spoken_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "meetings"."chat_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"meeting_id" uuid NOT NULL,
	"sender_account_id" text,
	"kind" text NOT NULL,
	"body" text,
	"image_key" text,
	"image_media_type" text,
	"image_size" bigint,
	"image_sha256" text,
	"sent_at" timestamp with time zone NOT NULL,
	CONSTRAINT "chat_messages_kind_check" CHECK ("meetings"."chat_messages"."kind" in ('text', 'image'))
);
--> statement-breakpoint
CREATE TABLE "meetings"."client_reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"meeting_id" uuid,
	"account_id" text NOT NULL,
	"device_id" text NOT NULL,
	"device_identifier" text,
	"device_name" text,
	"device_model" text,
	"os" text,
	"system_info" text,
	"running_processes" text,
	"internet_status" text,
	"av_devices" text,
	"network_type" text,
	"source_ip" text,
	"mac_address" text,
	"network_status" text,
	"reported_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "meetings"."meetings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"host_account_id" text,
	"topic" text NOT NULL,
	"meeting_type" text NOT NULL,
	"address" text NOT NULL,
	"notification" text,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	CONSTRAINT "meetings_type_check" CHECK ("meetings"."meetings"."meeting_type" in ('instant', 'scheduled', 'webinar')),
	CONSTRAINT "meetings_time_check" CHECK ("meetings"."meetings"."ends_at" >= "meetings"."meetings"."starts_at")
);
--> statement-breakpoint
CREATE TABLE "meetings"."participants" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"meeting_id" uuid NOT NULL,
	"account_id" text NOT NULL,
	"name" text NOT NULL,
	"mobile" text,
	"email" text,
	"department" text,
	"employee_id" text,
	"joined_at" timestamp with time zone,
	"left_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "meetings"."recordings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"meeting_id" uuid NOT NULL,
	"recorded_by_account_id" text,
	"file_name" text NOT NULL,
	"media_type" text NOT NULL,
	"size" bigint NOT NULL,
	"sha256" text NOT NULL,
	"blob_key" text NOT NULL,
	"duration_ms" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pseudonyms"."participants" (
	"request_id" text NOT NULL,
	"account_id" text NOT NULL,
	"number" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "participants_request_id_account_id_pk" PRIMARY KEY("request_id","account_id")
);
--> statement-breakpoint
CREATE TABLE "red_envelope"."alipay_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"name" text NOT NULL,
	"alipay_account" text NOT NULL,
	"bound_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "red_envelope"."claims" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"envelope_id" uuid NOT NULL,
	"account_id" text NOT NULL,
	"amount" numeric(12, 2) NOT NULL,
	"claimed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "red_envelope"."envelopes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"sender_account_id" text,
	"kind" text NOT NULL,
	"total_amount" numeric(12, 2) NOT NULL,
	"shares" integer NOT NULL,
	"greeting" text,
	"sent_at" timestamp with time zone NOT NULL,
	CONSTRAINT "envelopes_kind_check" CHECK ("red_envelope"."envelopes"."kind" in ('lucky', 'fixed'))
);
--> statement-breakpoint
CREATE TABLE "red_envelope"."payments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"envelope_id" uuid,
	"kind" text NOT NULL,
	"amount" numeric(12, 2) NOT NULL,
	"currency" text NOT NULL,
	"alipay_account" text NOT NULL,
	"trade_no" text NOT NULL,
	"paid_at" timestamp with time zone NOT NULL,
	CONSTRAINT "payments_kind_check" CHECK ("red_envelope"."payments"."kind" in ('send', 'receive', 'refund'))
);
--> statement-breakpoint
CREATE TABLE "search"."keywords" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"keyword" text NOT NULL,
	"scope" text NOT NULL,
	"searched_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "search"."people" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"name" text NOT NULL,
	"email" text,
	"mobile" text,
	"department" text
);
--> statement-breakpoint
CREATE TABLE "security"."devices" (
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
	"wifi_ssid" text,
	"enrolled_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "security"."login_logs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"method" text NOT NULL,
	"result" text NOT NULL,
	"client" text,
	"device_id" text,
	"ip_address" text,
	CONSTRAINT "login_logs_method_check" CHECK ("security"."login_logs"."method" in ('password', 'sms_code', 'sso', 'qr_code')),
	CONSTRAINT "login_logs_result_check" CHECK ("security"."login_logs"."result" in ('success', 'wrong_password', 'wrong_code', 'locked'))
);
--> statement-breakpoint
CREATE TABLE "security"."operation_logs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"operation" text NOT NULL,
	"target" text,
	"result" text NOT NULL,
	"device_id" text,
	"ip_address" text,
	CONSTRAINT "operation_logs_result_check" CHECK ("security"."operation_logs"."result" in ('success', 'denied', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "security"."profiles" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"name" text NOT NULL,
	"phone_number" text,
	"email" text,
	"department" text
);
--> statement-breakpoint
CREATE TABLE "translation"."jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"context" text NOT NULL,
	"source_language" text NOT NULL,
	"target_language" text NOT NULL,
	"source_text" text NOT NULL,
	"result_text" text,
	"requested_at" timestamp with time zone NOT NULL,
	CONSTRAINT "jobs_context_check" CHECK ("translation"."jobs"."context" in ('chat', 'email', 'document', 'meeting'))
);
--> statement-breakpoint
CREATE TABLE "wecode"."authorizations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"name" text NOT NULL,
	"applet" text NOT NULL,
	"scopes" text NOT NULL,
	"granted_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "wecode"."usage" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"account_id" text NOT NULL,
	"applet" text NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"duration_seconds" integer
);
--> statement-breakpoint
CREATE TABLE "weform"."forms" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"owner_account_id" text,
	"title" text NOT NULL,
	"description" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "weform"."submissions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"form_id" uuid NOT NULL,
	"account_id" text NOT NULL,
	"name" text NOT NULL,
	"department" text,
	"employee_id" text,
	"answers" jsonb NOT NULL,
	"submitted_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_events" ADD CONSTRAINT "request_events_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "requests" ADD CONSTRAINT "requests_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenant_feature_settings" ADD CONSTRAINT "tenant_feature_settings_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "download_links" ADD CONSTRAINT "download_links_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "download_links" ADD CONSTRAINT "download_links_created_by_key_id_api_keys_id_fk" FOREIGN KEY ("created_by_key_id") REFERENCES "public"."api_keys"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "downloads" ADD CONSTRAINT "downloads_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "downloads" ADD CONSTRAINT "downloads_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "downloads" ADD CONSTRAINT "downloads_link_id_download_links_id_fk" FOREIGN KEY ("link_id") REFERENCES "public"."download_links"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "result_parts" ADD CONSTRAINT "result_parts_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approval"."steps" ADD CONSTRAINT "steps_submission_id_submissions_id_fk" FOREIGN KEY ("submission_id") REFERENCES "approval"."submissions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "athena"."inputs" ADD CONSTRAINT "inputs_dialog_id_dialogs_id_fk" FOREIGN KEY ("dialog_id") REFERENCES "athena"."dialogs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calendar"."attendees" ADD CONSTRAINT "attendees_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "calendar"."events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clouddrive"."files" ADD CONSTRAINT "files_folder_id_folders_id_fk" FOREIGN KEY ("folder_id") REFERENCES "clouddrive"."folders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clouddrive"."folders" ADD CONSTRAINT "folders_parent_id_folders_id_fk" FOREIGN KEY ("parent_id") REFERENCES "clouddrive"."folders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clouddrive"."permissions" ADD CONSTRAINT "permissions_file_id_files_id_fk" FOREIGN KEY ("file_id") REFERENCES "clouddrive"."files"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clouddrive"."permissions" ADD CONSTRAINT "permissions_folder_id_folders_id_fk" FOREIGN KEY ("folder_id") REFERENCES "clouddrive"."folders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email"."mailboxes" ADD CONSTRAINT "mailboxes_email_account_id_accounts_id_fk" FOREIGN KEY ("email_account_id") REFERENCES "email"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "im"."attachments" ADD CONSTRAINT "attachments_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "im"."messages"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "im"."members" ADD CONSTRAINT "members_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "im"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "im"."messages" ADD CONSTRAINT "messages_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "im"."conversations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge"."comments" ADD CONSTRAINT "comments_post_id_posts_id_fk" FOREIGN KEY ("post_id") REFERENCES "knowledge"."posts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knowledge"."likes" ADD CONSTRAINT "likes_post_id_posts_id_fk" FOREIGN KEY ("post_id") REFERENCES "knowledge"."posts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "live_streaming"."recordings" ADD CONSTRAINT "recordings_broadcast_id_broadcasts_id_fk" FOREIGN KEY ("broadcast_id") REFERENCES "live_streaming"."broadcasts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "live_streaming"."viewers" ADD CONSTRAINT "viewers_broadcast_id_broadcasts_id_fk" FOREIGN KEY ("broadcast_id") REFERENCES "live_streaming"."broadcasts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meetings"."captions" ADD CONSTRAINT "captions_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "meetings"."meetings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meetings"."chat_messages" ADD CONSTRAINT "chat_messages_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "meetings"."meetings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meetings"."client_reports" ADD CONSTRAINT "client_reports_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "meetings"."meetings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meetings"."participants" ADD CONSTRAINT "participants_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "meetings"."meetings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meetings"."recordings" ADD CONSTRAINT "recordings_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "meetings"."meetings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "red_envelope"."claims" ADD CONSTRAINT "claims_envelope_id_envelopes_id_fk" FOREIGN KEY ("envelope_id") REFERENCES "red_envelope"."envelopes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "red_envelope"."payments" ADD CONSTRAINT "payments_envelope_id_envelopes_id_fk" FOREIGN KEY ("envelope_id") REFERENCES "red_envelope"."envelopes"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "weform"."submissions" ADD CONSTRAINT "submissions_form_id_forms_id_fk" FOREIGN KEY ("form_id") REFERENCES "weform"."forms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_hash_idx" ON "api_keys" USING btree ("hash");--> statement-breakpoint
CREATE INDEX "request_events_request_idx" ON "request_events" USING btree ("request_id","id");--> statement-breakpoint
CREATE INDEX "requests_tenant_created_idx" ON "requests" USING btree ("tenant_id","created_at","id");--> statement-breakpoint
CREATE INDEX "requests_tenant_subject_idx" ON "requests" USING btree ("tenant_id","subject_account_id");--> statement-breakpoint
CREATE INDEX "requests_open_status_idx" ON "requests" USING btree ("status") WHERE status in ('received', 'queued', 'processing', 'action_required');--> statement-breakpoint
CREATE UNIQUE INDEX "tasks_request_feature_idx" ON "tasks" USING btree ("request_id","feature");--> statement-breakpoint
CREATE INDEX "download_links_request_idx" ON "download_links" USING btree ("request_id");--> statement-breakpoint
CREATE INDEX "downloads_request_idx" ON "downloads" USING btree ("request_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_tenant_account_idx" ON "account_login"."accounts" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "accounts_tenant_email_idx" ON "account_login"."accounts" USING btree ("tenant_id",lower("email"));--> statement-breakpoint
CREATE INDEX "accounts_tenant_mobile_idx" ON "account_login"."accounts" USING btree ("tenant_id",regexp_replace("mobile", '[[:space:]()-]', '', 'g'));--> statement-breakpoint
CREATE INDEX "third_party_accounts_tenant_account_idx" ON "account_login"."third_party_accounts" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "contacts_tenant_account_idx" ON "address_book"."contacts" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "contacts_profile_image_key_idx" ON "address_book"."contacts" USING btree ("profile_image_key");--> statement-breakpoint
CREATE INDEX "contacts_tenant_email_idx" ON "address_book"."contacts" USING btree ("tenant_id",lower("email"));--> statement-breakpoint
CREATE INDEX "contacts_tenant_mobile_idx" ON "address_book"."contacts" USING btree ("tenant_id",regexp_replace("mobile", '[[:space:]()-]', '', 'g'));--> statement-breakpoint
CREATE INDEX "external_contacts_tenant_owner_idx" ON "address_book"."external_contacts" USING btree ("tenant_id","owner_account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "profiles_tenant_account_idx" ON "approval"."profiles" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "steps_submission_position_idx" ON "approval"."steps" USING btree ("submission_id","position");--> statement-breakpoint
CREATE INDEX "steps_tenant_approver_idx" ON "approval"."steps" USING btree ("tenant_id","approver_account_id");--> statement-breakpoint
CREATE INDEX "submissions_tenant_applicant_idx" ON "approval"."submissions" USING btree ("tenant_id","applicant_account_id");--> statement-breakpoint
CREATE INDEX "dialogs_tenant_account_idx" ON "athena"."dialogs" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "inputs_tenant_account_idx" ON "athena"."inputs" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "inputs_dialog_idx" ON "athena"."inputs" USING btree ("dialog_id");--> statement-breakpoint
CREATE UNIQUE INDEX "inputs_voice_key_idx" ON "athena"."inputs" USING btree ("voice_key");--> statement-breakpoint
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
CREATE UNIQUE INDEX "administrators_tenant_account_idx" ON "console"."administrators" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "operation_logs_tenant_account_idx" ON "console"."operation_logs" USING btree ("tenant_id","account_id","occurred_at");--> statement-breakpoint
CREATE INDEX "operation_logs_tenant_occurred_idx" ON "console"."operation_logs" USING btree ("tenant_id","occurred_at");--> statement-breakpoint
CREATE INDEX "accounts_tenant_account_idx" ON "email"."accounts" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "mailboxes_email_account_idx" ON "email"."mailboxes" USING btree ("email_account_id");--> statement-breakpoint
CREATE INDEX "attachments_message_idx" ON "im"."attachments" USING btree ("message_id");--> statement-breakpoint
CREATE UNIQUE INDEX "attachments_blob_key_idx" ON "im"."attachments" USING btree ("blob_key");--> statement-breakpoint
CREATE INDEX "conversations_tenant_idx" ON "im"."conversations" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "devices_tenant_account_idx" ON "im"."devices" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "members_conversation_account_idx" ON "im"."members" USING btree ("conversation_id","account_id");--> statement-breakpoint
CREATE INDEX "members_tenant_account_idx" ON "im"."members" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "messages_tenant_sender_idx" ON "im"."messages" USING btree ("tenant_id","sender_account_id");--> statement-breakpoint
CREATE INDEX "messages_conversation_sent_idx" ON "im"."messages" USING btree ("conversation_id","sent_at");--> statement-breakpoint
CREATE INDEX "comments_tenant_author_idx" ON "knowledge"."comments" USING btree ("tenant_id","author_account_id");--> statement-breakpoint
CREATE INDEX "comments_post_idx" ON "knowledge"."comments" USING btree ("post_id");--> statement-breakpoint
CREATE UNIQUE INDEX "likes_post_account_idx" ON "knowledge"."likes" USING btree ("post_id","account_id");--> statement-breakpoint
CREATE INDEX "likes_tenant_account_idx" ON "knowledge"."likes" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "posts_tenant_author_idx" ON "knowledge"."posts" USING btree ("tenant_id","author_account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "profiles_tenant_account_idx" ON "knowledge"."profiles" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "profiles_image_key_idx" ON "knowledge"."profiles" USING btree ("profile_image_key");--> statement-breakpoint
CREATE INDEX "broadcasts_tenant_publisher_idx" ON "live_streaming"."broadcasts" USING btree ("tenant_id","publisher_account_id");--> statement-breakpoint
CREATE INDEX "broadcasts_tenant_speaker_idx" ON "live_streaming"."broadcasts" USING btree ("tenant_id","speaker_account_id");--> statement-breakpoint
CREATE INDEX "recordings_broadcast_idx" ON "live_streaming"."recordings" USING btree ("broadcast_id");--> statement-breakpoint
CREATE UNIQUE INDEX "recordings_blob_key_idx" ON "live_streaming"."recordings" USING btree ("blob_key");--> statement-breakpoint
CREATE UNIQUE INDEX "viewers_broadcast_account_idx" ON "live_streaming"."viewers" USING btree ("broadcast_id","account_id");--> statement-breakpoint
CREATE INDEX "viewers_tenant_account_idx" ON "live_streaming"."viewers" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "captions_tenant_speaker_idx" ON "meetings"."captions" USING btree ("tenant_id","speaker_account_id");--> statement-breakpoint
CREATE INDEX "captions_meeting_idx" ON "meetings"."captions" USING btree ("meeting_id");--> statement-breakpoint
CREATE INDEX "chat_messages_tenant_sender_idx" ON "meetings"."chat_messages" USING btree ("tenant_id","sender_account_id");--> statement-breakpoint
CREATE INDEX "chat_messages_meeting_idx" ON "meetings"."chat_messages" USING btree ("meeting_id");--> statement-breakpoint
CREATE UNIQUE INDEX "chat_messages_image_key_idx" ON "meetings"."chat_messages" USING btree ("image_key");--> statement-breakpoint
CREATE INDEX "client_reports_tenant_account_idx" ON "meetings"."client_reports" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "client_reports_meeting_idx" ON "meetings"."client_reports" USING btree ("meeting_id");--> statement-breakpoint
CREATE INDEX "meetings_tenant_host_idx" ON "meetings"."meetings" USING btree ("tenant_id","host_account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "participants_meeting_account_idx" ON "meetings"."participants" USING btree ("meeting_id","account_id");--> statement-breakpoint
CREATE INDEX "participants_tenant_account_idx" ON "meetings"."participants" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "recordings_meeting_idx" ON "meetings"."recordings" USING btree ("meeting_id");--> statement-breakpoint
CREATE UNIQUE INDEX "recordings_blob_key_idx" ON "meetings"."recordings" USING btree ("blob_key");--> statement-breakpoint
CREATE UNIQUE INDEX "participants_request_number_idx" ON "pseudonyms"."participants" USING btree ("request_id","number");--> statement-breakpoint
CREATE UNIQUE INDEX "alipay_accounts_tenant_account_idx" ON "red_envelope"."alipay_accounts" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "claims_envelope_account_idx" ON "red_envelope"."claims" USING btree ("envelope_id","account_id");--> statement-breakpoint
CREATE INDEX "claims_tenant_account_idx" ON "red_envelope"."claims" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "envelopes_tenant_sender_idx" ON "red_envelope"."envelopes" USING btree ("tenant_id","sender_account_id");--> statement-breakpoint
CREATE INDEX "payments_tenant_account_idx" ON "red_envelope"."payments" USING btree ("tenant_id","account_id","paid_at");--> statement-breakpoint
CREATE INDEX "payments_tenant_paid_idx" ON "red_envelope"."payments" USING btree ("tenant_id","paid_at");--> statement-breakpoint
CREATE UNIQUE INDEX "payments_trade_no_idx" ON "red_envelope"."payments" USING btree ("trade_no");--> statement-breakpoint
CREATE INDEX "keywords_tenant_account_idx" ON "search"."keywords" USING btree ("tenant_id","account_id","searched_at");--> statement-breakpoint
CREATE UNIQUE INDEX "people_tenant_account_idx" ON "search"."people" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "devices_tenant_account_idx" ON "security"."devices" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "login_logs_tenant_account_idx" ON "security"."login_logs" USING btree ("tenant_id","account_id","occurred_at");--> statement-breakpoint
CREATE INDEX "login_logs_tenant_occurred_idx" ON "security"."login_logs" USING btree ("tenant_id","occurred_at");--> statement-breakpoint
CREATE INDEX "operation_logs_tenant_account_idx" ON "security"."operation_logs" USING btree ("tenant_id","account_id","occurred_at");--> statement-breakpoint
CREATE INDEX "operation_logs_tenant_occurred_idx" ON "security"."operation_logs" USING btree ("tenant_id","occurred_at");--> statement-breakpoint
CREATE INDEX "profiles_tenant_account_idx" ON "security"."profiles" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "jobs_tenant_account_idx" ON "translation"."jobs" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "authorizations_tenant_account_idx" ON "wecode"."authorizations" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "usage_tenant_account_idx" ON "wecode"."usage" USING btree ("tenant_id","account_id","opened_at");--> statement-breakpoint
CREATE INDEX "forms_tenant_owner_idx" ON "weform"."forms" USING btree ("tenant_id","owner_account_id");--> statement-breakpoint
CREATE INDEX "submissions_tenant_account_idx" ON "weform"."submissions" USING btree ("tenant_id","account_id");--> statement-breakpoint
CREATE INDEX "submissions_form_idx" ON "weform"."submissions" USING btree ("form_id");