package io.hindsight.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The test broker itself: it starts, takes a record, and comes back on the same log after a stop. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaBrokerTest {
  @TempDir Path dir;

  @Test
  void startsTakesRecordsAndRestartsOnItsLog() throws Exception {
    try (KafkaBroker broker = KafkaBroker.start(dir)) {
      Map<String, Object> conf = Map.of("bootstrap.servers", broker.bootstrapServers());
      try (Admin admin = Admin.create(conf)) {
        admin.createTopics(List.of(new NewTopic("t", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
      }
      try (KafkaProducer<String, String> p = new KafkaProducer<>(conf, new StringSerializer(), new StringSerializer())) {
        assertThat(p.send(new ProducerRecord<>("t", "k", "v")).get(30, TimeUnit.SECONDS).offset()).isZero();
      }
      broker.stop();
      broker.start();
      try (Admin admin = Admin.create(conf)) {
        assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("t");
      }
    }
  }
}
