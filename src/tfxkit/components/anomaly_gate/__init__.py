"""tfxkit's AnomalyGate: data anomalies stop the pipeline before Transform and Trainer."""
