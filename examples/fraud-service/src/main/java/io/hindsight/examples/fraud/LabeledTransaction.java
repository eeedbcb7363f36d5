package io.hindsight.examples.fraud;

/**
 * A generated transaction with its ground truth: what the chargeback or the cardholder will
 * eventually say.
 *
 * @param transaction the transaction
 * @param fraud whether it is fraud
 */
public record LabeledTransaction(Transaction transaction, boolean fraud) {}
