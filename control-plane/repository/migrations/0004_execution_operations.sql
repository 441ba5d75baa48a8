CREATE TABLE "flow_concurrency" (
	"namespace" text NOT NULL,
	"flow_id" text NOT NULL,
	"running" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "flow_concurrency_namespace_flow_id_pk" PRIMARY KEY("namespace","flow_id")
);
--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "original_id" text;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "attempt_number" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "original_start_date" timestamp (3) with time zone;--> statement-breakpoint
CREATE INDEX "executions_queued_idx" ON "executions" USING btree ("namespace","flow_id","start_date","id") WHERE state = 'QUEUED';