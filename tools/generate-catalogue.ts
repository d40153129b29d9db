// `npm run catalogue -- postgres://...`: writes connectors/postgres/builtin-catalogue.json from the
// server's own catalogue. Run it against the PostgreSQL major version the tests use.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { catalogueText, readBuiltinCatalogue } from '../connectors/postgres/builtin-catalogue';
import { withClient } from './stack/databases';

const url = process.argv[2] ?? process.env.DATABASE_URL;
if (!url) {
  console.error('usage: npm run catalogue -- postgres://user@host/db (or set DATABASE_URL)');
  process.exit(2);
}
withClient(url, readBuiltinCatalogue).then(
  (catalogue) => {
    const file = path.join(__dirname, '../connectors/postgres/builtin-catalogue.json');
    writeFileSync(file, catalogueText(catalogue));
    console.log(
      `wrote ${file}: PostgreSQL ${catalogue.postgresMajor}, ${Object.keys(catalogue.functions).length} functions`,
    );
  },
  (error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  },
);
