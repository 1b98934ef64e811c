import { Migration } from '@mikro-orm/migrations';

export class Migration20261202212723 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "read_positions" ("user_id" int not null, "room_id" int not null, "seq" int not null, constraint "read_positions_pkey" primary key ("user_id", "room_id"));`);

    this.addSql(`alter table "read_positions" add constraint "read_positions_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "read_positions" add constraint "read_positions_room_id_foreign" foreign key ("room_id") references "rooms" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "messages" add column "kind" text check ("kind" in ('msg', 'edit', 'delete')) not null default 'msg', add column "target_seq" int null, add column "edited_at" timestamptz(3) null, add column "deleted_at" timestamptz(3) null;`);
    this.addSql(`create index "messages_body_search" on "messages" using gin (to_tsvector('simple'::regconfig, body)) where (kind = 'msg'::text);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "read_positions" cascade;`);

    this.addSql(`drop index "messages_body_search";`);
    this.addSql(`alter table "messages" drop column "kind", drop column "target_seq", drop column "edited_at", drop column "deleted_at";`);
  }

}
