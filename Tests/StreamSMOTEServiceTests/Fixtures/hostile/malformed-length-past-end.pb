
tx-1