using System.Runtime.InteropServices;

namespace Fleetward.Storage.Sqlite;

/// <summary>
/// Routes the SQLite provider to the operating system's libsqlite3 when there is one (Debian's is patched and
/// newer than the bundled 3.35), falling back to the bundled e_sqlite3 otherwise. Must run before first use.
/// </summary>
internal static class SqliteNative
{
    private static readonly Lazy<string> Initialized = new(Initialize, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The SQLite library version in use, e.g. "3.40.1".</summary>
    public static string Version => Initialized.Value;

    private static string Initialize()
    {
        NativeLibrary.SetDllImportResolver(typeof(SQLitePCL.SQLite3Provider_e_sqlite3).Assembly, (name, _, _) =>
            name == "e_sqlite3" && NativeLibrary.TryLoad("libsqlite3.so.0", out var handle) ? handle : IntPtr.Zero);
        SQLitePCL.Batteries_V2.Init();
        return SQLitePCL.raw.sqlite3_libversion().utf8_to_string();
    }
}
