CREATE TABLE "erasures"."planned_rows" (
	"run" bigint NOT NULL,
	"dataset" text NOT NULL,
	"at" bigint NOT NULL,
	"id" uuid NOT NULL,
	"shared" boolean NOT NULL,
	CONSTRAINT "planned_rows_run_dataset_at_pk" PRIMARY KEY("run","dataset","at")
);
--> statement-breakpoint
CREATE TABLE "erasures"."runs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "erasures"."runs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"request_id" text NOT NULL,
	"feature" text NOT NULL,
	"tenant_id" text NOT NULL,
	"outcome" jsonb NOT NULL,
	"planned_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "runs_request_feature_key" UNIQUE("request_id","feature")
);
--> statement-breakpoint
CREATE INDEX "runs_feature_tenant_idx" ON "erasures"."runs" USING btree ("feature","tenant_id");