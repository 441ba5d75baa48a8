CREATE TABLE "agents" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"labels" jsonb NOT NULL,
	"slots" integer NOT NULL,
	"state" text NOT NULL,
	"session_id" text,
	"agent_version" text,
	"maintenance" boolean DEFAULT false NOT NULL,
	"last_seen" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "executions" (
	"id" text PRIMARY KEY NOT NULL,
	"namespace" text NOT NULL,
	"flow_id" text NOT NULL,
	"flow_revision" integer NOT NULL,
	"state" text NOT NULL,
	"histories" jsonb NOT NULL,
	"inputs" jsonb NOT NULL,
	"outputs" jsonb,
	"labels" jsonb NOT NULL,
	"trigger" jsonb,
	"parent_id" text,
	"error" jsonb,
	"version" integer DEFAULT 1 NOT NULL,
	"start_date" timestamp (3) with time zone NOT NULL,
	"end_date" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "flows" (
	"namespace" text NOT NULL,
	"flow_id" text NOT NULL,
	"revision" integer NOT NULL,
	"source" text NOT NULL,
	"document" jsonb NOT NULL,
	"deleted" boolean DEFAULT false NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "flows_namespace_flow_id_revision_pk" PRIMARY KEY("namespace","flow_id","revision")
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"execution_id" text NOT NULL,
	"task_run_id" text NOT NULL,
	"attempt" integer DEFAULT 1 NOT NULL,
	"state" text NOT NULL,
	"worker_group" text,
	"slots" integer DEFAULT 1 NOT NULL,
	"offline" boolean DEFAULT false NOT NULL,
	"payload" jsonb NOT NULL,
	"agent_id" text,
	"lease_until" timestamp (3) with time zone,
	"agent_lost" integer DEFAULT 0 NOT NULL,
	"fallback" text DEFAULT 'WAIT' NOT NULL,
	"wait_until" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "logs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"execution_id" text NOT NULL,
	"task_run_id" text,
	"task_id" text,
	"attempt" integer,
	"job_id" text,
	"seq" integer,
	"line" integer,
	"level" text NOT NULL,
	"message" text NOT NULL,
	"ts" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "queue" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"topic" text NOT NULL,
	"key" text,
	"payload" jsonb NOT NULL,
	"available_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "service_instances" (
	"id" text PRIMARY KEY NOT NULL,
	"component" text NOT NULL,
	"hostname" text NOT NULL,
	"pid" integer NOT NULL,
	"state" text NOT NULL,
	"started_at" timestamp (3) with time zone NOT NULL,
	"heartbeat_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "task_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"execution_id" text NOT NULL,
	"parent_task_run_id" text,
	"task_id" text NOT NULL,
	"value" text,
	"state" text NOT NULL,
	"histories" jsonb NOT NULL,
	"attempts" jsonb NOT NULL,
	"outputs" jsonb,
	"meta" jsonb,
	"start_date" timestamp (3) with time zone NOT NULL,
	"end_date" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "worker_groups" (
	"key" text PRIMARY KEY NOT NULL,
	"selector" jsonb NOT NULL,
	"description" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "executions_flow_idx" ON "executions" USING btree ("namespace","flow_id","start_date");--> statement-breakpoint
CREATE INDEX "jobs_queued_idx" ON "jobs" USING btree ("worker_group","created_at") WHERE state = 'queued';--> statement-breakpoint
CREATE INDEX "jobs_leased_idx" ON "jobs" USING btree ("lease_until") WHERE state = 'leased';--> statement-breakpoint
CREATE INDEX "jobs_agent_idx" ON "jobs" USING btree ("agent_id") WHERE state = 'leased';--> statement-breakpoint
CREATE INDEX "logs_execution_idx" ON "logs" USING btree ("execution_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "logs_chunk_line_idx" ON "logs" USING btree ("job_id","attempt","seq","line");--> statement-breakpoint
CREATE INDEX "logs_message_fts_idx" ON "logs" USING gin (to_tsvector('simple', "message"));--> statement-breakpoint
CREATE INDEX "queue_topic_idx" ON "queue" USING btree ("topic","available_at","id");--> statement-breakpoint
CREATE INDEX "task_runs_execution_idx" ON "task_runs" USING btree ("execution_id");