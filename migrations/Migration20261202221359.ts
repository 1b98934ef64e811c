import { Migration } from '@mikro-orm/migrations';

export class Migration20261202221359 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "message_search" ("message_id" bigint not null, "room_id" int not null, "tsv" tsvector not null, constraint "message_search_pkey" primary key ("message_id"));`);
    this.addSql(`create index "message_search_tsv_index" on "public"."message_search" using gin("tsv");`);

    this.addSql(`create table "read_positions" ("user_id" int not null, "room_id" int not null, "seq" int not null, constraint "read_positions_pkey" primary key ("user_id", "room_id"));`);

    this.addSql(`alter table "read_positions" add constraint "read_positions_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "read_positions" add constraint "read_positions_room_id_foreign" foreign key ("room_id") references "rooms" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "messages" add column "kind" text check ("kind" in ('msg', 'edit', 'delete')) not null default 'msg', add column "target_seq" int null, add column "edited_at" timestamptz(3) null, add column "deleted_at" timestamptz(3) null;`);

    // Messages stored before search existed are searchable at once.
    this.addSql(`insert into "message_search" ("message_id", "room_id", "tsv") select "id", "room_id", to_tsvector('simple', "body") from "messages";`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "message_search" cascade;`);

    this.addSql(`drop table if exists "read_positions" cascade;`);

    this.addSql(`alter table "messages" drop column "kind", drop column "target_seq", drop column "edited_at", drop column "deleted_at";`);
  }

}
