DROP INDEX "task_runs_execution_idx";--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "written_xid" bigint DEFAULT (pg_current_xact_id()::text)::bigint NOT NULL;--> statement-breakpoint
CREATE INDEX "task_runs_execution_idx" ON "task_runs" USING btree ("execution_id","written_xid");