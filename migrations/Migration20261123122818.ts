import { Migration } from '@mikro-orm/migrations';

export class Migration20261123122818 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "messages" drop constraint "messages_room_id_foreign";`);
    this.addSql(`alter table "messages" drop constraint "messages_user_id_foreign";`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "messages" add constraint "messages_room_id_foreign" foreign key ("room_id") references "rooms" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "messages" add constraint "messages_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
  }

}
