using System.Data.Common;

namespace Orchestrator.Persistence;

/// <summary>The few raw ADO.NET commands the product runs (claims, archiving, migrations), provider-neutral.</summary>
public static class DbCommands
{
    public static DbCommand Create(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    public static DbCommand With(this DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
        return command;
    }
}
