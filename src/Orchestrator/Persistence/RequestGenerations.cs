using Microsoft.EntityFrameworkCore;
using Orchestrator.StateMachines;

namespace Orchestrator.Persistence;

/// <summary>
/// An id archived after its dedupe window runs again as the next generation, so that its outcome gets a new
/// MessageId. Read wherever a new saga row is written: the API's insert, and the saga repository's for the bus.
/// </summary>
public static class RequestGenerations
{
    public static async Task NumberAsync(DbContext db, InferenceRequestState saga, CancellationToken cancellationToken)
    {
        var requestId = saga.RequestId;
        var archived = await db.Database
            .SqlQuery<int>($"SELECT COALESCE(MAX(generation), 0) AS \"Value\" FROM inference_requests_archive WHERE request_id = {requestId}")
            .SingleAsync(cancellationToken);
        saga.Generation = archived + 1;
    }
}
