import { Migration } from '@mikro-orm/migrations';

export class Migration20261123105644 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "rooms" ("id" serial primary key, "name" varchar(64) not null, "kind" text check ("kind" in ('public', 'direct')) not null, "topic" varchar(200) null, "last_seq" int not null default 0, "last_at" timestamptz(3) null, "created_at" timestamptz(3) not null);`);
    this.addSql(`alter table "rooms" add constraint "rooms_name_unique" unique ("name");`);

    this.addSql(`create table "users" ("id" serial primary key, "name" varchar(32) not null, "password_hash" text not null, "created_at" timestamptz(3) not null);`);
    this.addSql(`alter table "users" add constraint "users_name_unique" unique ("name");`);

    this.addSql(`create table "sessions" ("id" varchar(64) not null, "user_id" int not null, "created_at" timestamptz(3) not null, "expires_at" timestamptz(3) not null, constraint "sessions_pkey" primary key ("id"));`);
    this.addSql(`create index "sessions_user_id_index" on "sessions" ("user_id");`);

    this.addSql(`create table "room_members" ("room_id" int not null, "user_id" int not null, constraint "room_members_pkey" primary key ("room_id", "user_id"));`);
    this.addSql(`create index "room_members_user_id_index" on "room_members" ("user_id");`);

    this.addSql(`create table "messages" ("id" bigserial primary key, "room_id" int not null, "seq" int not null, "user_id" int not null, "body" text not null, "cid" varchar(64) not null, "created_at" timestamptz(3) not null);`);
    this.addSql(`create index "messages_user_id_index" on "messages" ("user_id");`);
    this.addSql(`alter table "messages" add constraint "messages_room_seq_unique" unique ("room_id", "seq");`);
    this.addSql(`alter table "messages" add constraint "messages_room_user_cid_unique" unique ("room_id", "user_id", "cid");`);

    this.addSql(`alter table "sessions" add constraint "sessions_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "room_members" add constraint "room_members_room_id_foreign" foreign key ("room_id") references "rooms" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "room_members" add constraint "room_members_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "messages" add constraint "messages_room_id_foreign" foreign key ("room_id") references "rooms" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "messages" add constraint "messages_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
  }

}
