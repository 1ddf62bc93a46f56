-- Undoes version 3: the maintenance lease (a new leader is elected once it is back).
DROP TABLE {schema}.leader;
