namespace Orchestrator.Bench;

/// <summary>Progress lines on stderr, so stdout carries only the result JSON.</summary>
public static class Progress
{
    public static void Say(string text) =>
        Console.Error.WriteLine($"[bench {DateTime.UtcNow:HH:mm:ss}] {text}");
}
