/** Wrapping how a dialect's driver hands out connections (tracing, the transaction guard). */
import type { Dialect, Driver } from 'kysely';

type Acquire = Driver['acquireConnection'];

/** `dialect`, every connection of its drivers asked for through `wrap(acquire)`; nothing else changes. */
export function wrapAcquire(dialect: Dialect, wrap: (acquire: Acquire) => Acquire): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver: (): Driver => {
      const driver = dialect.createDriver();
      driver.acquireConnection = wrap(driver.acquireConnection.bind(driver));
      return driver;
    },
  };
}
