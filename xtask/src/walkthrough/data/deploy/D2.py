try:
    mydb_connection = mysql.connector.connect(
    host="mysql-db",
    user=mysql_user,
    password=mysql_password,
    database="scooter_trips") # Added the created database to the connection

    # Check connection
    if mydb_connection.is_connected():
        print("connection successfully")
        mycursor = mydb_connection.cursor()
        mycursor.execute("SELECT database();")
        record = mycursor.fetchone()
        print("You're connected to database: ", record)
        table_name = "Motorized_Foot_Scooter_Trips_2018"
        mycursor.execute(f"CREATE TABLE {table_name} (TripID VARCHAR(255), TripDuration VARCHAR(255), TripDistance VARCHAR(255), StartTime VARCHAR(255), EndTime VARCHAR(255), StartCenterlineID VARCHAR(255), StartCenterlineType VARCHAR(255), EndCenterlineID VARCHAR(255), EndCenterlineType VARCHAR(255))")
        print(f"{table_name} table created")
        for index, row in data.iterrows():
            sql = f"INSERT INTO scooter_trips.{table_name} (TripID, TripDuration, TripDistance, StartTime, EndTime, StartCenterlineID, EndCenterlineID) VALUES (%s,%s,%s,%s,%s,%s,%s)"
            mycursor.execute(sql, list(row))
            # the connection is not auto committed by default, so we must commit to save our changes
            mydb_connection.commit()
except Error:
    print("Error while connecting to MySQL", Error)
