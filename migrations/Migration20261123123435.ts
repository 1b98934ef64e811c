import { Migration } from '@mikro-orm/migrations';

export class Migration20261123123435 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`drop index "messages_user_id_index";`);
  }

  override async down(): Promise<void> {
    this.addSql(`create index "messages_user_id_index" on "messages" ("user_id");`);
  }

}
