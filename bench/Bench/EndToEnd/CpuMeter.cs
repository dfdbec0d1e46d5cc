using System.Globalization;

namespace Orchestrator.Bench.EndToEnd;

/// <summary>
/// CPU seconds (user + system) of a process from /proc/PID/stat, optionally with its reaped children (cutime/cstime)
/// and its live children: a server that forks a backend per connection (PostgreSQL) is the postmaster plus both. On a
/// shared box CPU per request says where time goes better than wall time does.
/// </summary>
public static class CpuMeter
{
    // USER_HZ: 100 on every Linux the project runs on (sysconf(_SC_CLK_TCK)).
    const double TicksPerSecond = 100;

    public static double? Seconds(int pid, bool withChildren)
    {
        var own = Stat(pid);
        if (own is null)
            return null;
        var ticks = own.Value.User + own.Value.System;
        if (withChildren)
        {
            ticks += own.Value.ChildrenUser + own.Value.ChildrenSystem;
            foreach (var directory in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var child) || child == pid)
                    continue;
                if (Stat(child) is { } stat && stat.Parent == pid)
                    ticks += stat.User + stat.System;
            }
        }
        return ticks / TicksPerSecond;
    }

    /// <summary>The first line of a pid file (PostgreSQL's postmaster.pid, RabbitMQ's rabbitmq.pid), or null.</summary>
    public static int? PidFromFile(string path)
    {
        try
        {
            var first = File.ReadLines(path).FirstOrDefault();
            return int.TryParse(first?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    static (int Parent, long User, long System, long ChildrenUser, long ChildrenSystem)? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        // The command name (field 2) may hold spaces and parentheses: the fields that follow start after the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
        long F(int field) => long.Parse(fields[field - 3], CultureInfo.InvariantCulture);
        return ((int)F(4), F(14), F(15), F(16), F(17));
    }
}
