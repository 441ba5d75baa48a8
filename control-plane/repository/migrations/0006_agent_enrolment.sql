CREATE TABLE "registration_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"secret_hash" text NOT NULL,
	"description" text,
	"labels" jsonb NOT NULL,
	"groups" jsonb NOT NULL,
	"allow_extra_labels" boolean DEFAULT false NOT NULL,
	"expires_at" timestamp (3) with time zone,
	"max_uses" integer,
	"uses" integer DEFAULT 0 NOT NULL,
	"revoked_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "admin_maintenance" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "credential_hash" text;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "pending_credential_hash" text;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "token_id" text;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "revoked_at" timestamp (3) with time zone;