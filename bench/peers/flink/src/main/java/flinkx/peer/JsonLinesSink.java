package flinkx.peer;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.sink.RichSinkFunction;

/**
 * JSON Lines into a folder, as flinkx's file sink writes them: sink subtask i writes
 * part-&lt;i&gt;.jsonl, one record per line, through a buffered writer.
 */
public class JsonLinesSink<T> extends RichSinkFunction<T> {
  /** One record as a JSON object. */
  public interface Format<T> extends Serializable {
    String json(T record);
  }

  private final String folder;
  private final Format<T> format;
  private transient BufferedWriter out;

  public JsonLinesSink(String folder, Format<T> format) {
    this.folder = folder;
    this.format = format;
  }

  @Override
  public void open(OpenContext context) throws IOException {
    Path dir = Path.of(folder);
    Files.createDirectories(dir);
    int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
    out = Files.newBufferedWriter(dir.resolve("part-" + subtask + ".jsonl"), StandardCharsets.UTF_8);
  }

  @Override
  public void invoke(T record, Context context) throws IOException {
    out.write(format.json(record));
    out.write('\n');
  }

  @Override
  public void close() throws IOException {
    if (out != null) out.close();
  }

  /** A JSON string literal. */
  public static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }
}
